"""The ``.gone`` codec: networks (the Go library's fields), image layers, populations and graphs.

The only user of the generated protobuf code (``gone._proto``).
"""
