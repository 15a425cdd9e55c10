"""Every stage's tables, imported once so the metadata is complete.

Alembic's autogenerate and the test schema checks read `target_metadata`; a stage whose
models are not imported here would be invisible to them.
"""

from __future__ import annotations

from shaheen.access import models as _access  # noqa: F401
from shaheen.agencies import models as _agencies  # noqa: F401
from shaheen.api import models as _api  # noqa: F401
from shaheen.audit import models as _audit  # noqa: F401
from shaheen.detect import models as _detect  # noqa: F401
from shaheen.evidence import models as _evidence  # noqa: F401
from shaheen.ingest import models as _ingest  # noqa: F401
from shaheen.knowledge import models as _knowledge  # noqa: F401
from shaheen.network import models as _network  # noqa: F401
from shaheen.pipeline import models as _pipeline  # noqa: F401
from shaheen.platforms import models as _platforms  # noqa: F401
from shaheen.referral import models as _referral  # noqa: F401
from shaheen.review import models as _review  # noqa: F401
from shaheen.sharing import models as _sharing  # noqa: F401
from shaheen.store.base import Base
from shaheen.tasks import models as _tasks  # noqa: F401

target_metadata = Base.metadata
