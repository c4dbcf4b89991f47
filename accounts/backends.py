"""The authentication backend: Django's ModelBackend, with the user's unit read in the same query."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class ModelBackendWithUnit(ModelBackend):
    """Every page's header names the signed-in user's unit (base.html) and access checks read its
    group: loading `request.user` with its unit saves a query on each request of a unit's staff."""

    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = User._default_manager.select_related("unit").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
