"""Configuration classes. The environment is read when the app is created
(``Config.load()``), never at import, so tests and the CLI can set it first."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _review_stages(raw: str) -> tuple[str, ...]:
    """``survey,risk_assessment_review`` → the review states, checked."""
    known = ("survey_review", "risk_assessment_review", "plan_review", "evaluation_review")
    out = []
    for name in (n.strip() for n in raw.split(",")):
        if not name:
            continue
        state = name if name.endswith("_review") else f"{name}_review"
        if state not in known:
            raise ValueError(f"EXPERT_REVIEW_STAGES: unknown stage {name!r}")
        out.append(state)
    return tuple(out)


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from exc


class Config:
    DEBUG = False
    TESTING = False
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # Uploads: the whole request, and each PDF inside it.
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024
    MAX_PDF_BYTES = 30 * 1024 * 1024
    MAX_CSV_BYTES = 20 * 1024 * 1024
    MAX_CSV_ROWS = 200_000
    # scrypt work factor for passwords: N = 2**17 (Werkzeug's default is 2**15).
    PASSWORD_HASH_METHOD = "scrypt:131072:8:1"  # noqa: S105 (a method name, not a secret)
    API_TOKEN_TTL_HOURS = 12
    LOGIN_RATE_LIMIT = "10 per minute"
    # memory:// counts per process; with several gunicorn workers set
    # RATELIMIT_STORAGE_URI=redis://host:6379/N so that all of them share one count.
    RATELIMIT_STORAGE_URI = "memory://"
    # If Redis is unreachable, count in each worker's memory until it is back,
    # rather than answer 500 to every rate-limited request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    JSON_AS_ASCII = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Receipts and manifests are rendered after their event commits: "thread"
    # (a background worker), "sync" (in the request) or "off" (left pending for
    # `flask documents run`).
    DOCUMENTS_MODE = "thread"
    BOOTSTRAP_SERVE_LOCAL = True  # no CDN: everything works offline
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = {"zh_Hans_CN": "简体中文", "en": "English"}
    # Optional map tiles, e.g. an intranet tile server "https://tiles.example/{z}/{x}/{y}.png";
    # without one the map draws plot boundaries on a plain background.
    MAP_TILE_URL = ""
    MAP_TILE_ATTRIBUTION = ""
    # Printed QR codes point here (the public address of the site), not at
    # whatever host a request came in on.
    PUBLIC_BASE_URL = ""
    PUBLIC_BASE_URL_REQUIRED = False
    TIPOFF_RATE_LIMIT = "5 per hour"
    PDF_RENDER_RATE_LIMIT = "20 per minute"  # notice PDFs rendered afresh, per address
    TIPOFF_MIN_FILL_SECONDS = 5
    PROXY_FIX_X_FOR = 0
    # Public answers and derived values kept per process until the ledger head
    # moves (app/response_cache.py); megabytes per process, 0 switches it off.
    RESPONSE_CACHE_MB = 32
    # PostgreSQL pushes the ledger head to each process (app/head_watch.py) instead
    # of every cached public answer asking for it; production only (a listening
    # connection per process).
    LEDGER_HEAD_NOTIFY = False
    TOWNSHIPS = ["章凤镇", "陇把镇", "景罕镇", "城子镇", "户撒阿昌族乡", "护国乡", "清平乡",
                 "王子树乡", "勐约乡"]  # fmt: skip
    COUNTY_NAME = "陇川县"
    COUNTY_CODE = "533124"
    # Numbered decisions (DESIGN.md §10): prefix + kind character + 〔year〕 + n + 号,
    # e.g. 陇环土备〔2026〕7号. Empty: each county's own, the first character of its
    # short name + 环土 (陇川 → 陇环土, 瑞丽 → 瑞环土); set, it is COUNTY_CODE's.
    DECISION_PREFIX = ""
    SECRET_KEY_REQUIRED = True

    @classmethod
    def load(cls) -> dict:
        """Settings from the environment (DESIGN.md §8), read now."""
        instance = Path(os.environ.get("INSTANCE_DIR", BASE_DIR / "instance"))
        settings = {
            "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL")
            or f"sqlite:///{instance / 'app.db'}",
            "STORAGE_DIR": os.environ.get("STORAGE_DIR") or str(instance / "storage"),
            # Issue 20: s3://bucket/prefix keeps documents in an S3-compatible object
            # store (endpoint and credentials: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
            # AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION); empty: the folder STORAGE_DIR.
            "STORAGE_URL": os.environ.get("STORAGE_URL", ""),
            "STORAGE_ENDPOINT_URL": os.environ.get("AWS_ENDPOINT_URL_S3")
            or os.environ.get("AWS_ENDPOINT_URL")
            or None,
            # Downloads: 0 streams them through the app; N > 0 redirects to a signed
            # URL of the object store valid N seconds (browsers must reach the store).
            "STORAGE_REDIRECT_SECONDS": _int_env("STORAGE_REDIRECT_SECONDS", 0),
            # Slow work (issued PDFs, notice boards, the register PDF, reminders) through
            # an RQ queue on this Redis, run by `flask worker`; empty: in-process after
            # the commit, as on a single machine (app/jobs.py).
            "JOBS_REDIS_URL": os.environ.get("JOBS_REDIS_URL", ""),
            # Issue 21: the plan's target for the safe-use rate of contaminated farmland.
            "FARMLAND_SAFE_USE_TARGET_PCT": float(
                os.environ.get("FARMLAND_SAFE_USE_TARGET_PCT") or 90
            ),
            # A document job still pending this long after it was asked for is queued
            # again by the worker's sweep (its web node or worker died, Redis lost it).
            "JOBS_SWEEP_AFTER_SECONDS": _int_env("JOBS_SWEEP_AFTER_SECONDS", 120),
            # A streaming replica for anonymous public reads (app/replica.py); empty: none.
            "DATABASE_REPLICA_URL": os.environ.get("DATABASE_REPLICA_URL", ""),
            "TRANSFER_NOTICE_WORKING_DAYS": _int_env("TRANSFER_NOTICE_WORKING_DAYS", 5),
            "TRANSFER_DISCREPANCY_PCT": _int_env("TRANSFER_DISCREPANCY_PCT", 10),
            # Statutory clocks (DESIGN.md §11; workflows/deadlines.py).
            "REVIEW_WORKING_DAYS": _int_env("REVIEW_WORKING_DAYS", 20),
            "REVISION_WORKING_DAYS": _int_env("REVISION_WORKING_DAYS", 30),
            # Issue 15: the review states whose approval needs an expert meeting of the
            # round, e.g. "survey_review,risk_assessment_review,evaluation_review" (or
            # "survey,risk_assessment,evaluation"). Empty by default: DESIGN §2 approves
            # after the co-signature alone, and that contract stays as it is.
            "EXPERT_REVIEW_STAGES": _review_stages(os.environ.get("EXPERT_REVIEW_STAGES", "")),
            "MONITORING_INTERVAL_DAYS": _int_env("MONITORING_INTERVAL_DAYS", 180),
            "TIPOFF_REPLY_WORKING_DAYS": _int_env("TIPOFF_REPLY_WORKING_DAYS", 15),
            # §12: a demolition plan is filed this many working days before demolition
            # starts; the county government's credit code for surveys it must carry out
            # (empty: the one registered government party named after the county).
            "DEMOLITION_LEAD_WORKING_DAYS": _int_env("DEMOLITION_LEAD_WORKING_DAYS", 15),
            # Issue 15: monitoring under risk control only after a filed control plan
            # (off by default: DESIGN §3 files monitoring reports without one).
            "RISK_CONTROL_PLAN_REQUIRED": bool(_int_env("RISK_CONTROL_PLAN_REQUIRED", 0)),
            "COUNTY_GOVERNMENT_CREDIT_CODE": os.environ.get("COUNTY_GOVERNMENT_CREDIT_CODE")
            or None,
            # Optional e-mail of notifications (Flask-Mailman); empty MAIL_SERVER = off.
            "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
            # Always SMTP (Flask-Mailman keeps testing apps' mail in memory otherwise);
            # nothing is sent at all while MAIL_SERVER is empty (app.services.mail).
            "MAIL_BACKEND": "smtp",
            "MAIL_PORT": _int_env("MAIL_PORT", 25),
            "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
            "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
            "MAIL_USE_TLS": bool(_int_env("MAIL_USE_TLS", 0)),
            "MAIL_USE_SSL": bool(_int_env("MAIL_USE_SSL", 0)),
            "MAIL_TIMEOUT": _int_env("MAIL_TIMEOUT", 10),
            "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER") or "noreply@localhost",
            # Browser sessions end after this long without a request, and this long
            # after login whatever happens (issue 17, ASVS 7.3).
            "SESSION_IDLE_MINUTES": _int_env("SESSION_IDLE_MINUTES", 30),
            "SESSION_ABSOLUTE_HOURS": _int_env("SESSION_ABSOLUTE_HOURS", 12),
            "COUNTY_NAME": os.environ.get("COUNTY_NAME") or cls.COUNTY_NAME,
            "COUNTY_CODE": os.environ.get("COUNTY_CODE") or cls.COUNTY_CODE,
            "DECISION_PREFIX": os.environ.get("DECISION_PREFIX") or cls.DECISION_PREFIX,
            # Issue 18: listing on the register and release from it are decided by a
            # prefecture or provincial officer of the platform (《土壤污染防治法》第五十八、
            # 六十六条), not by the county (off: a county deployment decides them).
            "PROVINCIAL_DECISIONS": bool(_int_env("PROVINCIAL_DECISIONS", 0)),
            "MAP_TILE_URL": os.environ.get("MAP_TILE_URL", cls.MAP_TILE_URL),
            "MAP_TILE_ATTRIBUTION": os.environ.get(
                "MAP_TILE_ATTRIBUTION", cls.MAP_TILE_ATTRIBUTION
            ),
            "LEDGER_SIGNING_KEY": os.environ.get("LEDGER_SIGNING_KEY") or None,
            "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", cls.PUBLIC_BASE_URL),
            # Hosts the app answers for (comma-separated); any other Host header is a
            # 400 (Flask's TRUSTED_HOSTS). Empty: any host (URLs never come from it
            # where PUBLIC_BASE_URL is set).
            "TRUSTED_HOSTS": [
                h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()
            ]
            or None,
            # memory:// suits one process; several workers share e.g. redis://host:6379/0.
            "RATELIMIT_STORAGE_URI": os.environ.get(
                "RATELIMIT_STORAGE_URI", cls.RATELIMIT_STORAGE_URI
            ),
            "PROXY_FIX_X_FOR": _int_env("PROXY_FIX_X_FOR", cls.PROXY_FIX_X_FOR),
            "RESPONSE_CACHE_MB": _int_env("RESPONSE_CACHE_MB", cls.RESPONSE_CACHE_MB),
            "LEDGER_HEAD_NOTIFY": bool(_int_env("LEDGER_HEAD_NOTIFY", int(cls.LEDGER_HEAD_NOTIFY))),
        }
        secret = os.environ.get("SECRET_KEY")
        if secret:
            settings["SECRET_KEY"] = secret
        elif cls.SECRET_KEY_REQUIRED:
            raise RuntimeError("SECRET_KEY must be set outside development and testing")
        if cls.PUBLIC_BASE_URL_REQUIRED and not settings["PUBLIC_BASE_URL"]:
            # Printed QR codes, receipts, canonical links and open data must not take
            # their address from a request's Host header (issue 17).
            raise RuntimeError("PUBLIC_BASE_URL must be set in production (https://host)")
        url = settings["SQLALCHEMY_DATABASE_URI"]
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        settings["SQLALCHEMY_DATABASE_URI"] = url
        if url.startswith("sqlite"):
            # Writers queue behind each other instead of failing at once.
            settings["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
        else:
            # A ping per checkout (one round trip per request) finds connections the
            # server dropped; DB_POOL_PRE_PING=0 trades it for one failed request per
            # worker after a database restart (SQLAlchemy then renews the pool).
            settings["SQLALCHEMY_ENGINE_OPTIONS"] = {
                **cls.SQLALCHEMY_ENGINE_OPTIONS,
                "pool_pre_ping": bool(_int_env("DB_POOL_PRE_PING", 1)),
            }
        return settings


class DevelopmentConfig(Config):
    DEBUG = True
    SECRET_KEY_REQUIRED = False
    SECRET_KEY = "dev-only-not-secret"  # noqa: S105 (development only)


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY_REQUIRED = False
    SECRET_KEY = "testing-only-not-secret"  # noqa: S105 (tests only)
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    DOCUMENTS_MODE = "off"  # tests that look at documents render them explicitly


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    PUBLIC_BASE_URL_REQUIRED = True
    LEDGER_HEAD_NOTIFY = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    return CONFIGS.get(os.environ.get("APP_CONFIG", "development"), DevelopmentConfig)
