from django.http import JsonResponse

from .keys import demo_signer


def jwks(request):
    """What a Saleor serves at /.well-known/jwks.json: the public half of its signing key."""
    return JsonResponse(demo_signer().jwks)
