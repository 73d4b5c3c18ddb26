vcl 4.1;
import directors;
import std;
{#- one backend per app server; the director balances them #}
{% macro backend(name, address, probe_url) -%}
backend {{ name }} {
    .host = "{{ address.host }}";
    .port = "{{ address.port }}";
    .first_byte_timeout = {{ component.first_byte_timeout }}s;
    .probe = {
        .url = "{{ probe_url }}";
        .interval = 5s;
        .window = 5;
        .threshold = 3;
    }
}
{%- endmacro %}
{% for address in component.app_servers %}
{{ backend('app%d' % loop.index, address, component.probe_url) }}
{% endfor %}
acl purge {
{%- for net in component.purge_networks %}
    "{{ net }}";
{%- endfor %}
}

sub vcl_init {
    new app = directors.round_robin();
{%- for address in component.app_servers %}
    app.add_backend(app{{ loop.index }});  # {{ address }}
{%- endfor %}
}

sub vcl_recv {
    set req.backend_hint = app.backend();
    if (req.method == "PURGE") {
        if (!client.ip ~ purge) { return (synth(405)); }
        return (purge);
    }
{%- for prefix in component.pass_prefixes %}
    {{ 'if' if loop.first else 'elsif' }} (req.url ~ "^{{ prefix | replace('/', '\\/') }}") { return (pass); }
{%- endfor %}
    unset req.http.{{ component.strip_cookies | join(';\n    unset req.http.') }};
}

sub vcl_backend_response {
    if (bereq.url ~ "\.({{ component.static_extensions | sort | join('|') }})$") {
        set beresp.ttl = {{ component.static_ttl_hours * 3600 }}s;
    }
    set beresp.grace = {{ '%dh' % component.grace_hours }};
}
