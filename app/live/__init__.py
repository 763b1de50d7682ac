"""Live updates of the round page over server-sent events (docs/architecture.md, "Live
updates"): one broker per process learns which rounds changed (PostgreSQL's LISTEN/NOTIFY, or
on SQLite a broadcast at commit and a watcher), and each change is rendered once per audience
and sent to every open stream that shares it."""
