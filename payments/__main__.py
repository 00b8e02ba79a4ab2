"""`python -m payments`: serves `payments`."""

from common.server import serve

if __name__ == "__main__":
    serve("payments.main:create_app", default_port=8001)
