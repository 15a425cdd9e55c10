"""The HTTP API (`/api/v1`): the app factory, its dependencies, errors, pagination and
middleware. Each stage renders its own routes in its `api.py`; this package only
assembles them (`app.py`) and holds what they share."""
