"""Engines: the docker-py connection with its retry policy, ownership labels, what was asked, and the
`Engine` handle (a name, a client and the host whose kernel runs its containers)."""
