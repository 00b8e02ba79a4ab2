"""`python -m app`: serves `orders`."""

from common.server import serve

if __name__ == "__main__":
    serve("app.main:create_app", default_port=8000)
