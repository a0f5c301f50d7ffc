"""Token encodings of music for the neural models.

* :mod:`muselab.tokens.folk` -- monophonic melody with chord symbols (folk tunes).
* :mod:`muselab.tokens.chorale` -- 4-voice chorales.
* :mod:`muselab.tokens.multitrack` -- multi-track pieces (MidiTok REMI with programs).
* :mod:`muselab.tokens.bars` -- fixed-grid bars for the VAE and GAN.

Each encoding turns a :class:`~muselab.core.Score` into integer ids and back; see
``docs/encodings.md``.
"""
