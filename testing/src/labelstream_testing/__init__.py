"""Test support for every Labelstream package: the in-memory fakes behind each service's ports, builders of
valid domain objects and events, and the harnesses of the end-to-end and browser tests. A workspace member of its
own, installed with the dev environment and never into a service image: production packages do not import it."""
