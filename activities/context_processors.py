"""Navigation flags of the activities app, evaluated only when a template asks for them."""


def activity_roles(request):
    def is_referee():
        from .views.referee import is_referee as user_is_referee

        return request.user.is_authenticated and user_is_referee(request.user)

    return {"is_referee": is_referee}
