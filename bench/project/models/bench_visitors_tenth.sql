-- A tenth of bench_visitors, same columns: peak memory at N/10 against N shows whether memory is flat.
{{ bench_visitor_rows((var('bench_visitors') | int) // 10) }}
