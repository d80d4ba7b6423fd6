"""Domain errors: each carries a message fit to show the member."""


class ServiceError(Exception):
    """A request the service refuses; `str(exc)` is the user-facing reason."""


class NotFound(ServiceError):
    pass


class NotAllowed(ServiceError):
    pass


class InvalidInput(ServiceError):
    pass
