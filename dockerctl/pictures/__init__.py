"""Pictures of labs and runs: a playbook's topology as a scene (scene.py) drawn by Graphviz (dot.py),
the same scene marked with what the hosts show now (live.py), `bench net --plot` bars (plot.py) and
self-contained HTML pages (pages.py), each written where files.py checked it may go. Loaded only by
`graph`, `bench net`, and `play --html` / `tour --html-dir` when asked for a page."""
