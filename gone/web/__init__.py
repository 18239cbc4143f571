"""The digit drawing page and its HTTP API (``gone serve``): the app (:mod:`.app`), which model it
serves (:mod:`.models`) and how it listens (:mod:`.server`); the page's files (index.html,
app.js, style.css) live beside them."""
