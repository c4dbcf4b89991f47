"""Sessions signed in before accounts.backends.ModelBackendWithUnit name Django's ModelBackend as the
backend that authenticated them; Django signs such a session out once that path is no longer in
AUTHENTICATION_BACKENDS, and what a user was typing would be lost on the next save. Rewrite the path in
every live session instead (database sessions, the only engine this app uses)."""

from django.db import migrations
from django.utils import timezone

BACKEND_KEY = "_auth_user_backend"  # django.contrib.auth.BACKEND_SESSION_KEY
OLD = "django.contrib.auth.backends.ModelBackend"
NEW = "accounts.backends.ModelBackendWithUnit"


def _rename(apps, old: str, new: str) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    Session = apps.get_model("sessions", "Session")
    store = SessionStore()
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = store.decode(session.session_data)
        if data.get(BACKEND_KEY) == old:
            data[BACKEND_KEY] = new
            session.session_data = store.encode(data)
            session.save(update_fields=["session_data"])


def forwards(apps, schema_editor):
    _rename(apps, OLD, NEW)


def backwards(apps, schema_editor):
    _rename(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("sessions", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
