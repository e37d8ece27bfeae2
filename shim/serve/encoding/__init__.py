"""``encoding_format`` float/base64/bytes/bytes_only with ``embed_dtype`` and ``endianness``."""
