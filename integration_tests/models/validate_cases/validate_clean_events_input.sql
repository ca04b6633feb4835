-- Always built: untagged input of validate_clean_events (the hook passes untagged models through).
{{ config(post_hook="{{ pendo_sync.validate() }}") }}

select
    'u001' as user_id,
    'acme' as account_id,
    'Report Exported' as event,
    cast('2024-03-01 10:00:00' as timestamp) as occurred_at,
    'csv' as export_format,
    '10.0.0.1' as ip,
    'https://app.example.com/reports' as page_url
union all
select 'u001', 'acme', 'Report Exported', cast('2024-03-01 10:05:00' as timestamp), 'csv', '10.0.0.1', 'https://app.example.com/reports'
union all
select 'u002', null, 'Signed Up', cast('2024-03-02 08:00:00' as timestamp), null, null, null
