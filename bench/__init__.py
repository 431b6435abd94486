"""`make bench`: seed a large PostgreSQL database, serve it with gunicorn, load it with wrk/hey.

See bench/README.md. Nothing here is imported by the portal itself.
"""
