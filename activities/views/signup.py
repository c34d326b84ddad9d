"""Individual sign-up: a cadre signs up to an activity open to individuals, or cancels, and sees their place."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from portal.errors import PortalError
from portal.permissions import PortalAccessMixin, cadre_of

from ..forms.registration import SignupActionForm
from ..models import Registration
from ..selectors.registration import activities_open_to_individuals, signup_summary
from ..services.signup import registration_cancel, registration_sign_up, signup_closed_reason


class SignupView(PortalAccessMixin, TemplateView):
    """GET: my status (confirmed, waiting-list position, not signed up) and the counts; POST: sign up or cancel."""

    template_name = "activities/signup/signup.html"

    def has_access(self, user):
        return cadre_of(user) is not None

    def get_activity(self):
        return get_object_or_404(activities_open_to_individuals(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        activity = self.get_activity()
        return super().get_context_data(
            activity=activity,
            summary=signup_summary(activity=activity, cadre=cadre_of(self.request.user)),
            closed_reason=signup_closed_reason(activity, timezone.now()),
            **kwargs,
        )

    def post(self, request, pk):
        activity = self.get_activity()
        cadre = cadre_of(request.user)
        form = SignupActionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose to sign up or to cancel."))
            return redirect("activities:signup", pk=pk)
        try:
            if form.cleaned_data["action"] == "signup":
                registration = registration_sign_up(actor=request.user, activity=activity, cadre=cadre)
                if registration.status == Registration.Status.CONFIRMED:
                    messages.success(request, _("You are signed up."))
                else:
                    messages.info(request, _("All places are taken: you are on the waiting list."))
            else:
                registration = (
                    Registration.objects.filter(activity=activity, cadre=cadre)
                    .exclude(status=Registration.Status.CANCELLED)
                    .first()
                )
                if registration is None:
                    messages.error(request, _("You are not signed up to this activity."))
                else:
                    registration_cancel(actor=request.user, registration=registration)
                    messages.success(request, _("Your sign-up is cancelled."))
        except PortalError as error:
            messages.error(request, str(error))
        return redirect("activities:signup", pk=pk)


urlpatterns = [
    path("<id:pk>/signup/", SignupView.as_view(), name="signup"),
]
