"""The web app's page routes, one router per area: :mod:`.auth` (log in and out),
:mod:`.labelling`, :mod:`.review` (the queue, an item, its images), :mod:`.reports` (the
overview, the reports and the API documentation) and :mod:`.admin`. The JSON API is
:mod:`glamlab.web.api`. Every handler calls the library and renders; none holds SQL."""
