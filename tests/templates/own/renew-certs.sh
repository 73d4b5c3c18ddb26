#!/bin/sh
# renews the TLS certificates of {{ host.fqdn }}; run from cron
set -eu
{% set acme_args -%}
--server {{ component.acme_server }} --key-type {{ component.key_type | default('ec-256') }}
{%- endset %}
{%- set ns = namespace(names=[]) %}
{% for cert in component.certificates if not cert.manual -%}
{% set ns.names = ns.names + [cert.domains[0]] -%}
# {{ loop.revindex }} to go after this one
acme.sh --issue {{ acme_args }} {% for domain in cert.domains %}-d {{ domain }} {% endfor %}\
    --reloadcmd '{{ component.reload.get(cert.service, 'true') }}' \
    --cert-file {{ '%(dir)s/%(name)s.crt' % {'dir': component.cert_dir, 'name': cert.domains[0]} }}
{% else -%}
echo "no certificates to renew"
{% endfor -%}
{% if ns.names | length > 2 %}
echo "renewed many: {{ ns.names | join(' ') }}"
{% elif ns.names %}
echo "renewed {{ '{first}{more}'.format(first=ns.names[0], more=' and ' ~ ns.names[1] if ns.names | length > 1 else '') }}"
{% endif -%}
logger -t renew-certs "{{ component.certificates | selectattr('manual') | list | length }} manual certificate(s) skipped"
