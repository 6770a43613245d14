"""Reading barcodes and QR codes in photos, and drawing pickup-code QRs (no Telegram here).

* :mod:`bot.scan.decode` — bytes of a photo in, the codes in it out (zxing-cpp + Pillow),
  with limits on the file and picture size.
* :mod:`bot.scan.worker` — :class:`~bot.scan.worker.Scanner`: decodes in a small thread pool,
  off the event loop, with a time limit per photo; runs each user's photos one at a time.
* :mod:`bot.scan.qr` — a QR code as PNG bytes, made on demand and never stored.
"""
