{#
    Generic test: fails on every row where `actual` and `expected` (columns or SQL expressions) differ.
    NULL-safe: NULL equals NULL; NULL against a value is a failure.

        - assert_equal:
            arguments: {actual: id_a <> id_b, expected: "expect = 'differ'"}
#}
{% test assert_equal(model, actual, expected) %}

select *
from {{ model }}
where case
    when ({{ actual }}) = ({{ expected }}) then 0
    when ({{ actual }}) is null and ({{ expected }}) is null then 0
    else 1
end = 1

{% endtest %}
