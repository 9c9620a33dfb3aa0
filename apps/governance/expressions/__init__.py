"""Policy conditions: a small, safe expression language, parsed here and never handed to ``eval``.

    isOwner() || (hasDomain('finance') && matchAnyTag('PII.*') && !inGroup('contractors'))
    resource.type in ['customer', 'account'] and actor.username != 'bot'

Grammar (``and``/``or``/``not`` may be spelled ``&&``/``||``/``!``)::

    expr    := and ('||' and)*
    and     := unary ('&&' unary)*
    unary   := '!' unary | compare
    compare := primary (('==' | '!=' | 'in' | 'not in') primary)?
    primary := string | integer | true | false | '[' literals ']' | name '(' literals ')'
             | ('resource' | 'actor') '.' name | '(' expr ')'

Function arguments are literals, and every name is checked when a policy is saved, so a policy either
compiles or is refused with the position of its first error. A condition compiles twice: to a Python
closure (one decision) and to SQL over the catalog's entity rows (which entities a caller may list or
find, so pages, totals and facet counts never count what the caller cannot see). Both follow one table of
functions, and a test holds them to the same answers.
"""

from .functions import FUNCTIONS, OWNS, PII_CATEGORIES, Function
from .language import (
    ACTOR_ATTRIBUTES,
    MAX_DEPTH,
    MAX_LENGTH,
    RESOURCE_ATTRIBUTES,
    ExpressionError,
    parse,
    tokenize,
)
from .python import compile_python, evaluate, resource_reads
from .sql import to_sql
from .sqlparts import FALSE, TRUE, Sql, join, like_pattern

__all__ = [
    "ACTOR_ATTRIBUTES", "FALSE", "FUNCTIONS", "MAX_DEPTH", "MAX_LENGTH", "OWNS", "PII_CATEGORIES",
    "RESOURCE_ATTRIBUTES", "TRUE", "ExpressionError", "Function", "Sql", "compile_python", "evaluate", "join",
    "like_pattern", "parse", "resource_reads", "to_sql", "tokenize",
]  # fmt: skip
