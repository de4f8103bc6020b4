"""The API schema names the token scheme (drf-spectacular cannot guess it for a subclass of knox's)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "staff.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        scheme = build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
        scheme["description"] = ("`Authorization: Token <secret>`: an API token from /account/tokens/ or "
                                 "POST /api/v1/tokens/. Tokens expire; a login lock-out stops them too.")
        return scheme
