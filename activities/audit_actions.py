"""The labels staff read in the audit trail for the activities app's actions (registered from ActivitiesConfig.ready).

Every action code an activities service or admin writes has a label here; tests/portal/test_audit_trail.py fails
when a literal code in an `audit_record(...)` call has none.
"""

from django.utils.translation import gettext_lazy as _

from portal.audit import register_actions

ACTIONS = {
    "activity.create": _("Create activity"),
    "activity.update": _("Change activity"),
    "activity.points_by_place": _("Change points scale"),
    "activity.cancel": _("Cancel activity"),
    "registration.sign_up": _("Sign up"),
    "registration.cancel": _("Cancel sign-up"),
    "registration.promote": _("Move up from the waiting list"),
    "team.register": _("Enter team"),
    "team.update": _("Change team"),
    "team.withdraw": _("Withdraw team"),
    "team.reinstate": _("Reinstate team"),
    "team.seed": _("Set seed"),
    "substitution.request": _("Request substitution"),
    "substitution.approve": _("Approve substitution"),
    "substitution.reject": _("Reject substitution"),
    "competition.settings": _("Change competition settings"),
    "competition.lock_entries": _("Lock entries"),
    "competition.unlock_entries": _("Unlock entries"),
    "competition.fixtures_generate": _("Make the draw"),
    "competition.fixtures_reset": _("Reset the draw"),
    "competition.placings": _("Compute placings"),
    "competition.publish_results": _("Publish results"),
    "competition.unpublish_results": _("Withdraw published results"),
    "match.schedule": _("Schedule match"),
    "match.result": _("Enter match result"),
    "match.result_clear": _("Clear match result"),
    "ranked_result.record": _("Enter ranked result"),
    "judge_score.record": _("Enter judge's score"),
    "organisation_award.create": _("Give organisation award"),
    "organisation_award.update": _("Change organisation award"),
    "organisation_award.delete": _("Remove organisation award"),
    "calendar_token.create": _("Create calendar link"),
    "calendar_token.regenerate": _("Renew calendar link"),
    "demo.seed_activities": _("Create demo activities"),
}

register_actions(ACTIONS)
