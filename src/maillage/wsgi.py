import os

from django.core.wsgi import get_wsgi_application

from maillage.core.deploy import refuse_public_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
refuse_public_key()  # a server never starts with the public default key
application = get_wsgi_application()
