"""The staff page, for admins: every staff account, creating one, deactivating and changing roles.

The rules (valid details, no admin deactivating or demoting themselves, never
without an active admin) live in :mod:`elicit.accounts.services`; a refusal
shows the page again (status 400) with the reason beside what it concerns.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext

from elicit.accounts.access import actor, roles_required
from elicit.accounts.models import Role, User
from elicit.accounts.passwords import MIN_LENGTH
from elicit.accounts.services import create_user, set_active, set_role, staff
from elicit.accounts.views import role_name
from elicit.errors import DomainError
from elicit.extensions import db
from elicit.facilitating.account_forms import StaffAccountForm, StaffRoleForm
from elicit.facilitating.blueprint import bp
from elicit.unit_of_work import refuse

_FIELD_OF = {
    "invalid_email": "email",
    "duplicate_user": "email",
    "invalid_name": "name",
    "invalid_role": "role",
    "weak_password": "password",
}
"""Which field of the new-account form each of ``create_user``'s refusals is about."""


def _render(form: StaffAccountForm, status: int = 200, problem: tuple[str, str] | None = None):
    """Render the staff page with the new-account ``form`` as given.

    ``problem`` is the id of a row's control and why the action on it was
    refused; the page shows it in its error summary and beside the control.
    """
    accounts = staff(db.session())
    role_forms = {
        account.id: StaffRoleForm(formdata=None, data={"role": account.role.value})
        for account in accounts
    }
    return render_template(
        "facilitating/staff.html",
        accounts=accounts,
        form=form,
        role_forms=role_forms,
        problem=problem,
        min_password=MIN_LENGTH,
    ), status


def _account_or_404(user_id: int) -> User:
    """Return the staff account ``user_id``, else answer 404."""
    account = db.session.get(User, user_id)
    if account is None:
        abort(404)
    return account


@bp.route("/staff")
@roles_required(Role.ADMIN)
def staff_accounts():
    """List every staff account, with the form to create one."""
    return _render(StaffAccountForm(formdata=None))


@bp.route("/staff", methods=["POST"])
@roles_required(Role.ADMIN)
def create_account():
    """Create a staff account; refused details are shown beside their field, the input kept."""
    form = StaffAccountForm()
    if form.validate_on_submit():
        try:
            account = create_user(
                db.session(),
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                password=form.password.data,
                actor=actor(),
            )
        except DomainError as error:
            refuse()
            field = form[_FIELD_OF.get(error.code, "email")]
            # TRANSLATORS: %(reason)s is a clause in lower case without a full stop.
            message = gettext("The account was not created: %(reason)s.", reason=error.message)
            field.errors = [*field.errors, message]
        else:
            # TRANSLATORS: %(name)s is a staff member's name, %(email)s their e-mail address.
            flash(
                gettext(
                    "The account of %(name)s (%(email)s) is created: they can log in now.",
                    name=account.name,
                    email=account.email,
                ),
                "success",
            )
            return redirect(url_for("facilitating.staff_accounts"))
    return _render(form, status=400)


def _change(account: User, control: str, change: Callable[[], None]):
    """Run ``change`` on ``account``; if refused, return the page again (400), else ``None``.

    ``control`` names the row's control the refusal is shown beside (``active``, ``role``).
    """
    try:
        change()
    except DomainError as error:
        refuse()
        # TRANSLATORS: %(reason)s is a clause in lower case without a full stop.
        reason = gettext("Nothing was changed: %(reason)s.", reason=error.message)
        return _render(StaffAccountForm(formdata=None), 400, (f"{control}-{account.id}", reason))
    return None


@bp.route("/staff/<int:user_id>/deactivate", methods=["POST"])
@roles_required(Role.ADMIN)
def deactivate_account(user_id: int):
    """Deactivate a staff account: it cannot log in, and a session it has ends at once."""
    account = _account_or_404(user_id)
    refused = _change(
        account, "active", lambda: set_active(db.session(), account, False, actor=actor())
    )
    if refused:
        return refused
    # TRANSLATORS: %(name)s is a staff member's name.
    flash(
        gettext(
            "%(name)s's account is deactivated: they are logged out and cannot log in.",
            name=account.name,
        ),
        "success",
    )
    return redirect(url_for("facilitating.staff_accounts"))


@bp.route("/staff/<int:user_id>/activate", methods=["POST"])
@roles_required(Role.ADMIN)
def activate_account(user_id: int):
    """Make a deactivated staff account active again: it can log in with its old password."""
    account = _account_or_404(user_id)
    set_active(db.session(), account, True, actor=actor())
    # TRANSLATORS: %(name)s is a staff member's name.
    flash(
        gettext("%(name)s's account is active again: they can log in.", name=account.name),
        "success",
    )
    return redirect(url_for("facilitating.staff_accounts"))


@bp.route("/staff/<int:user_id>/role", methods=["POST"])
@roles_required(Role.ADMIN)
def change_role(user_id: int):
    """Give a staff account another role."""
    account = _account_or_404(user_id)
    form = StaffRoleForm()
    if not form.validate_on_submit():
        refuse()
        reason = " ".join(str(message) for message in form.role.errors)
        return _render(StaffAccountForm(formdata=None), 400, (f"role-{account.id}", reason))
    refused = _change(
        account, "role", lambda: set_role(db.session(), account, form.role.data, actor=actor())
    )
    if refused:
        return refused
    # TRANSLATORS: %(name)s is a staff member's name, %(role)s a staff role (admin, analyst...).
    flash(
        gettext(
            "%(name)s's role is now: %(role)s.", name=account.name, role=role_name(account.role)
        ),
        "success",
    )
    return redirect(url_for("facilitating.staff_accounts"))
