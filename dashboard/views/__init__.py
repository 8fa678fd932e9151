"""The dashboard's pages. Each view parses the request, calls one selector or service (the same
ones the API and the admin call) and renders one template."""
