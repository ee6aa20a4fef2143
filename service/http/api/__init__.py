"""The public API under ``/api/v1``: every route needs a bearer token (checked by a guard before
the body is read); roles are guards on the routes that need more than an agent."""

from litestar import Router

from service.auth.guards import authenticated
from service.core.types import KIB
from service.http.api.analytics import AnalyticsController
from service.http.api.check import CheckController
from service.http.api.health import health
from service.http.api.suggest import SuggestController
from service.http.api.templates import TemplateController
from service.http.api.tokens import TokenController
from service.http.api.transfer import TransferController

# Bodies are small JSON: 256 KiB is 10× the largest valid /check; templates and imports allow more.
api_router = Router(path="/api/v1", guards=[authenticated], request_max_body_size=256 * KIB,
                    route_handlers=[TemplateController, SuggestController, CheckController, AnalyticsController,
                                    TransferController, TokenController])

__all__ = ["api_router", "health"]
