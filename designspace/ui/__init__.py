"""What the user reads: one home for each rule of checking input and writing messages, numbers and tables.

* :mod:`~designspace.ui.checks`: the validator kit (a number, an integer, a choice, the keys of a table);
* :mod:`~designspace.ui.messages`: an exception's first line and the did-you-mean message of an unknown name;
* :mod:`~designspace.ui.numbers`: numbers with an SI suffix (``12.5M``);
* :mod:`~designspace.ui.table`: aligned plain-text tables.

Pure standard library, below every other layer but :mod:`designspace.errors`.
"""
