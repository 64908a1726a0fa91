"""Admin URLs of Masa's own pages (the snippet view sets bring theirs)."""
from .broadcasts import broadcast_urls
from .channels import channel_urls
from .customers import customer_urls
from .failures import failure_urls
from .jobs import job_urls
from .journey import journey_urls
from .packs import pack_urls
from .preview import preview_urls
from .results import results_urls
from .rules import switch_urls
from .saleor_stores import saleor_urls
from .simulate import simulate_urls


def admin_urls():
    return [*switch_urls(), *simulate_urls(), *channel_urls(), *pack_urls(), *customer_urls(), *results_urls(),
            *failure_urls(), *saleor_urls(), *broadcast_urls(),
            *journey_urls(), *preview_urls(), *job_urls()]
