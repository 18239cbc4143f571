"""The digit page's server side: which model it serves (:mod:`.models`) and how it
listens (:mod:`.server`). The app itself is :mod:`gone.serve`; the page's files
(index.html, app.js, style.css) live beside these modules."""
