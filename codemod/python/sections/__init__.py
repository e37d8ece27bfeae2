"""Large Python files, analysed a section at a time: the statements that can affect each other, with the imports.

libcst needs about 600 bytes of memory per byte of source and its analyses grow with the size of the module, so a
generated 5 MB file would need gigabytes. Its top-level statements rarely all depend on each other, though: what
one statement can tell the analysis about another goes through a module-level name (a global bound once, a
factory function, a class, a dict filled in one place and splatted in another) or through an attribute that a class
sets on ``self`` and some other code reads on another object. ``scanning`` finds those links with one pass of the
tokenizer (constant memory) into a ``layout``, ``planning`` groups the statements that are linked and packs the
groups into sections of bounded size. Every section is analysed as a module of its own that starts with every
top-level import of the file, so names resolve as in the whole file.

A section's text (``text``) is built of whole lines of the file, each statement preceded by a marker comment line,
so the fixed text splits back into statements and a position in it maps back to the file line by line (columns
never change). ``checking`` checks and fixes the sections and puts them together; ``rows`` moves their findings
to the file's lines.
"""
