-- Always built: no meta.pendo, so the hook ignores its NULL and duplicated ids.
{{ config(post_hook="{{ pendo_sync.validate() }}") }}

select 'u001' as user_id
union all
select 'u001'
union all
select null
