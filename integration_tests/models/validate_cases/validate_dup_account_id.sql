-- Case dup_account_id: acme appears three times.
{{ config(enabled=var('pendo_validate_case', '') == 'dup_account_id', post_hook="{{ pendo_sync.validate() }}") }}

select 'acme' as account_id, 'Acme Corp' as name
union all
select 'acme', 'Acme Corporation'
union all
select 'acme', 'ACME'
union all
select 'globex', 'Globex'
