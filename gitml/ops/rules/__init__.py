"""Policy rules: one function per rule type, ``(Context, Rule) -> list[Failure]``.

:mod:`gitml.ops.policy` maps rule types to these functions and imports a
module only when the policy uses one of its rules.
"""
