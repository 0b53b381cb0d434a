// elicit answer page: sliders beside percent boxes, autosave of drafts, live progress and
// question index, and one submission per click. Without JavaScript the page works through
// its buttons, and the index is right as of the page's loading.
(function () {
  "use strict";
  var form = document.getElementById("answers");
  if (!form) { return; }
  var saveUrl = form.getAttribute("data-autosave");
  var tokenInput = form.querySelector("input[name=csrf_token]");
  var token = tokenInput.value;
  var tokenUrl = form.getAttribute("data-session-token");
  var waitingForEntry = false;
  var statusBox = document.getElementById("save-status");
  var messages = JSON.parse(document.getElementById("answer-messages").textContent);
  var progress = document.getElementById("progress");
  var answeredCount = document.getElementById("answered-count");
  var dirty = {};
  var timer = null;
  var saving = false;
  var retryDelay = 2000;
  var submitting = false;

  function articles() { return form.querySelectorAll("article.question"); }

  // The words for each state come from the page, so they are translated with it.
  function stateLabel(state) {
    var label = document.querySelector("#state-labels [data-state='" + state + "']");
    return label ? label.textContent : state;
  }

  function showState(article, state) {
    var id = article.getAttribute("data-question");
    var entry = document.querySelector("[data-index-for='" + id + "']");
    article.querySelector("[data-status]").textContent = stateLabel(state);
    if (entry) {
      entry.setAttribute("data-state", state);
      entry.querySelector("[data-index-state]").textContent = stateLabel(state);
    }
  }

  // The page's sentences (round.html, in its language), with each %(name)s filled in.
  function say(key, values) {
    return messages[key].replace(/%\((\w+)\)s/g, function (whole, name) {
      return values && name in values ? String(values[name]) : whole;
    });
  }

  function setStatus(text, bad) {
    statusBox.textContent = text;
    statusBox.classList.toggle("bad", !!bad);
  }

  function fieldsOf(article) {
    var prefix = "q" + article.getAttribute("data-question");
    function value(name) {
      var input = form.elements[prefix + "-" + name];
      return input ? input.value : "";
    }
    var quantiles = [];
    for (var i = 0; form.elements[prefix + "-q" + i]; i++) {
      quantiles.push(form.elements[prefix + "-q" + i].value);
    }
    return {
      probability: value("probability"), lower: value("lower"), upper: value("upper"),
      quantile_values: quantiles, confidence: value("confidence"), rationale: value("rationale")
    };
  }

  // An answer counts once the server has it recorded, or holds a draft it would accept.
  function updateProgress() {
    var count = 0;
    articles().forEach(function (article) {
      if (article.getAttribute("data-answered") === "true") { count++; }
    });
    progress.value = count;
    answeredCount.textContent = String(count);
  }

  function revealFeedback(article) {
    var hidden = article.querySelector("[data-feedback-hidden]");
    if (!hidden) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = say("showFeedback");
    button.addEventListener("click", function () {
      window.location.hash = article.id;
      window.location.reload();
    });
    hidden.replaceWith(button);
  }

  function save(keepalive) {
    var ids = Object.keys(dirty);
    if (!saveUrl || ids.length === 0 || saving) { return; }
    var answers = {};
    ids.forEach(function (id) {
      answers[id] = fieldsOf(form.querySelector("article[data-question='" + id + "']"));
    });
    dirty = {};
    saving = true;
    setStatus(say("saving"));
    fetch(saveUrl, {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json" },
      body: JSON.stringify({ answers: answers })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.status === 401 && tokenUrl) {
          var ended = new Error(say("reenter"));
          ended.reenter = true;
          throw ended;
        }
        if (!response.ok) {
          var error = new Error((body.error && body.error.message) || say("serverStatus", { status: response.status }));
          error.final = response.status >= 400 && response.status < 500 && response.status !== 429;
          throw error;
        }
        return body;
      });
    }).then(function (body) {
      saving = false;
      retryDelay = 2000;
      body.saved.forEach(function (id) {
        var article = form.querySelector("article[data-question='" + id + "']");
        var valid = body.complete.indexOf(id) >= 0;
        showState(article, body.states[id]);
        article.setAttribute("data-answered",
          valid || article.getAttribute("data-recorded") === "true" ? "true" : "false");
        if (valid) { revealFeedback(article); }
      });
      body.closed.forEach(function (id) {
        var article = form.querySelector("article[data-question='" + id + "']");
        article.querySelector("[data-status]").textContent =
          say("closed");
      });
      updateProgress();
      var time = new Date().toLocaleTimeString(document.documentElement.lang || [], { hour: "2-digit", minute: "2-digit" });
      if (Object.keys(dirty).length) { schedule(); } else { setStatus(say("saved", { time: time })); }
    }).catch(function (error) {
      saving = false;
      ids.forEach(function (id) { dirty[id] = true; });
      if (error.reenter) {
        renewToken(true);
        return;
      }
      if (error.final) {
        setStatus(say("refused", { reason: error.message }), true);
        return;
      }
      var reason = error instanceof TypeError ? say("offline") : error.message;
      setStatus(say("retrying", { reason: reason }), true);
      clearTimeout(timer);
      timer = setTimeout(save, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
  }

  // The session ended (idle, or left): once the expert has opened their invitation link
  // again, in another tab, this page takes the new session's CSRF token and saves. It asks
  // when the expert comes back to it, and every 15 seconds while it waits.
  function renewToken(afterFailure) {
    fetch(tokenUrl, {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.ok && body.csrf_token) {
          token = body.csrf_token;
          tokenInput.value = token;
          waitingForEntry = false;
          save();
        } else if (response.status === 409) {
          waitingForEntry = false;
          setStatus(say("otherExpert"), true);
        } else {
          if (afterFailure) { setStatus(say("reenter"), true); }
          waitingForEntry = true;
          clearTimeout(timer);
          timer = setTimeout(function () { renewToken(false); }, 15000);
        }
      });
    }).catch(function () {
      waitingForEntry = true;
      clearTimeout(timer);
      timer = setTimeout(function () { renewToken(false); }, 15000);
    });
  }
  document.addEventListener("visibilitychange", function () {
    if (waitingForEntry && document.visibilityState === "visible") { renewToken(false); }
  });

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(save, 800);
  }

  function changed(event) {
    var article = event.target.closest("article.question");
    if (!article || submitting) { return; }
    dirty[article.getAttribute("data-question")] = true;
    article.querySelector("[data-status]").textContent = "Unsaved changes…";
    if (saveUrl) { setStatus(say("unsaved")); schedule(); }
  }

  // A slider shows a value only once the question has one: until the expert types a
  // number or moves the slider, it has no thumb and says "no answer yet".
  form.querySelectorAll("input[data-slider-for]").forEach(function (slider) {
    var box = document.getElementById(slider.getAttribute("data-slider-for"));
    function setUnset(unset) {
      slider.classList.toggle("unset", unset);
      if (unset) {
        slider.setAttribute("aria-valuetext", slider.getAttribute("data-unset-text"));
      } else {
        slider.removeAttribute("aria-valuetext");
      }
    }
    function take() {
      box.value = slider.value;
      setUnset(false);
      box.dispatchEvent(new Event("input", { bubbles: true }));
    }
    slider.hidden = false;
    slider.addEventListener("input", take);
    // A click on the middle of an unset slider changes no value, so fires no "input".
    slider.addEventListener("click", function () {
      if (slider.classList.contains("unset")) { take(); }
    });
    box.addEventListener("input", function () {
      var text = box.value.trim().replace(/%$/, "").replace(",", ".");
      var number = text === "" ? NaN : Number(text);
      var inRange = number >= Number(slider.min) && number <= Number(slider.max);
      if (inRange) { slider.value = String(number); }
      setUnset(!inRange);
    });
  });

  // On a narrow screen the question index is folded, so the first question is in view; on
  // a wide one it is an open column beside the questions.
  var index = document.querySelector("[data-index]");
  var narrow = window.matchMedia("(max-width: 63.99rem)");
  if (index) {
    index.open = !narrow.matches;
    narrow.addEventListener("change", function () { index.open = !narrow.matches; });
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);

  form.addEventListener("submit", function (event) {
    if (submitting) { event.preventDefault(); return; }
    submitting = true;
    clearTimeout(timer);
    dirty = {};
    setStatus(say("sending"));
    setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });

  window.addEventListener("pagehide", function () { save(true); });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && (Object.keys(dirty).length || saving)) {
      save(true);
      event.preventDefault();
      event.returnValue = "";
    }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      submitting = false;
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
    }
  });

  updateProgress();
}());
