"""The SymPy engine, the exact reference: ``engine.run`` tries its routes in turn.

Routes: ``scalar`` (an elementwise rule, then a reduction), ``matrix`` (matrix calculus, self-checked),
``expand`` (every element its own symbol; always applies); ``exact`` holds the arithmetic they share.
"""
