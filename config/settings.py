"""Settings read from the environment, with safe defaults for development.

Production sets at least SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL; see README.
"""

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "core",
    "accounts",
    "criteria",
    "scoring",
    "inspections",
]

MIDDLEWARE = [
    # First, so every later middleware's log lines carry the request id as well.
    "core.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "core.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while an import writes; the timeout rides out short write locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
    # A file, not Django's shared in-memory database: the browser tests' live server answers
    # overlapping requests (live previews while saving), which need a connection per thread.
    (BASE_DIR / "var").mkdir(exist_ok=True)
    # One file per test process, so that two test runs on one machine never share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-db-{os.getpid()}.sqlite3")}
else:
    # Each app process keeps its PostgreSQL connection (CONN_MAX_AGE seconds) instead of opening one
    # per request: starting a server backend costs more CPU than most pages' queries (load test,
    # loadtest/RESULTS.md). Checked before reuse after a quiet spell (core/postgresql/base.py), so
    # a database server restarted meanwhile is survived.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=300)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, checking a kept connection only after it sat idle (core/postgresql/base.py).
        DATABASES["default"]["ENGINE"] = "core.postgresql"
    # Parameters bound by the server, and a query run five times on a connection kept prepared:
    # PostgreSQL then skips parsing and planning it (the load test: 8-9 % more requests a second).
    # A pooler in transaction mode cannot keep a session's prepared statements: set it to 0 there.
    if env.bool("DB_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 5})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.ModelBackendWithUnit"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Vietnamese first; English is the second language (locale/en).
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
# dd/mm/yyyy and comma decimals in both languages: the data and the paperwork are Vietnamese.
FORMAT_MODULE_PATH = ["config.formats"]
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploaded evidence lives outside the web root and is only served through permission-checked views.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
MEDIA_URL = "/media-not-served/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="chiso-cchc@localhost")
SITE_NAME = env.str("SITE_NAME", default="Chỉ số CCHC")
PROVINCE_NAME = env.str("PROVINCE_NAME", default="tỉnh Hòa Bình Xanh")

# Production hardening: HTTPS=1 in production turns these on; each can still be set alone.
SECURE = env.bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SECURE)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=SECURE)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=SECURE)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=SECURE)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=SECURE)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", default=False) else None
# Load balancers probe app servers over plain HTTP behind the TLS proxy: answer, do not redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"  # evidence viewers opt in with @xframe_options_sameorigin
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)

# App servers keep no state of their own, so any of several can answer any request:
# sessions live in the database (never in a server's memory or local files), uploads in Django
# storage (MEDIA_ROOT on a shared folder, or S3-compatible storage through django-storages), and
# the cache in Redis when REDIS_URL is set. Without Redis each process has a small local cache:
# it only saves work (the shared ranking snapshot is off without Redis, see RANKING_LIVE_SECONDS).
# Sessions are not read through Redis (cached_db) although it would save a query per request:
# Django's cached_db does not survive a Redis outage (logins and every logged-in page would fail),
# while the database is needed anyway.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="cchc"),
            "TIMEOUT": 300,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "cchc"}}

# Background jobs (core/jobs.py). With CELERY_BROKER_URL (Redis) a Celery worker runs them
# (`celery -A config worker`) and the page shows its progress; without it the same job runs
# in-process at once, inside the request that starts it, so `make run` needs no broker or worker.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-job leaves it to another worker
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # long jobs: one at a time per worker process
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None  # the Job row is the result; Celery keeps none
CELERY_TIMEZONE = TIME_ZONE
# A provisional ranking is computed again at most this often (seconds) and shared by the app servers
# through Redis (scoring/live_ranking.py); 0 computes it for every view. Without Redis each process
# would keep a snapshot of its own (and “Tính lại ngay” would reach only one), hence 0 by default.
RANKING_LIVE_SECONDS = env.int("RANKING_LIVE_SECONDS", default=30 if REDIS_URL else 0)
# Above this many units the ranking PDF and Excel are built as a background job.
JOB_UNITS_THRESHOLD = env.int("JOB_UNITS_THRESHOLD", default=300)
# Above this many rows, a units or survey file is checked (preview) and imported as background
# jobs rather than in the request: a national list has 10,000 units, a province's survey file a few
# thousand rows, more than a request should carry on a busy server.
IMPORT_JOB_ROWS = env.int("IMPORT_JOB_ROWS", default=1000)

# Every line names the request it belongs to (core/request_id.py): with several app servers and
# workers writing at once, the id is what ties one user's request together across the logs.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.request_id.RequestIdFilter"}},
    "formatters": {
        "request_id": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": "request_id"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
