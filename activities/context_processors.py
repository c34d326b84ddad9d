"""Navigation flags of the activities app, evaluated only when a template asks for them."""


def activity_roles(request):
    def is_referee():
        from .views.referee import is_referee as user_is_referee

        user = getattr(request, "user", None)  # none on a request refused before authentication (400)
        return user is not None and user.is_authenticated and user_is_referee(user)

    return {"is_referee": is_referee}
