"""The API documentation pages (/api/docs/ Swagger UI, /api/redoc/ Redoc) under the site's CSP.

Both load drf-spectacular-sidecar's bundled copies from this site's static files (``SPECTACULAR_SETTINGS``:
``"SIDECAR"``), never a CDN, and their templates (templates/drf_spectacular/) have no inline script or style.
Swagger UI's start script is its own response (``SpectacularSwaggerSplitView``, ``?script``). Redoc writes
``<style>`` elements at run time, so its page alone widens the policy (docs/SECURITY.md):

- its styled-components styles carry this response's nonce (passed in by static/apidocs/redoc-init.js);
- two style elements that the bundle writes while loading, before any nonce can reach it (perfect-scrollbar's
  CSS, created empty and then filled), are allowed by their hashes. They are pinned to the bundled Redoc:
  an upgrade that changes them shows as a CSP violation in tests/windowsvc/test_csp_browser.py;
- its search index runs in a worker built from a ``blob:`` URL.

The bundle also asks for the Redocly logo from cdn.redoc.ly; the policy blocks it (nothing leaves the site)
and Redoc hides the broken image.
"""

from csp.constants import NONCE, SELF
from csp.decorators import csp_update
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

REDOC_STYLE_HASHES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # the empty <style> before it is filled
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",  # perfect-scrollbar's CSS (Redoc 2.5.4)
]
REDOC_CSP = {"style-src": [NONCE, *REDOC_STYLE_HASHES], "worker-src": [SELF, "blob:"]}

swagger_view = SpectacularSwaggerSplitView.as_view(url_name="schema")
redoc_view = csp_update(REDOC_CSP)(SpectacularRedocView.as_view(url_name="schema"))
