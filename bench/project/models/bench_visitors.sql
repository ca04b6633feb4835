-- var('bench_visitors') visitors: the model whose full and incremental sync the benchmark measures.
{{ bench_visitor_rows(var('bench_visitors') | int) }}
