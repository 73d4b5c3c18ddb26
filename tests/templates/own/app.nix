# Generated for {{ host.fqdn }}: do not edit.
{ config, lib, pkgs, ... }:

let
  port = {{ component.port }};
  stateDir = "{{ component.state_dir }}";
in
{
  environment.systemPackages = with pkgs; [
{%- for pkg in component.packages | sort %}
    {{ pkg }}
{%- endfor %}
  ];

  users.users.{{ environment.service_user }}.extraGroups = [ {% for g in component.groups %}"{{ g }}"{{ ' ' if not loop.last }}{% endfor %} ];

  systemd.services.{{ component.unit }} = {
    description = {{ component.description | tojson }};
    wantedBy = [ "multi-user.target" ];
    after = [ {{ component.after | map('tojson') | join(' ') }} ];
    environment = {
{%- for key, value in component.env | dictsort %}
      {{ key }} = {{ value | string | tojson }};
{%- endfor %}
      STATE_DIR = stateDir;
    };
    serviceConfig = {
      ExecStart = "{% raw %}${pkgs.nodejs}{% endraw %}/bin/node {{ component.entry }} --port ${toString port}";
      Restart = "always";
      {%- if component.memory_max %}
      MemoryMax = "{{ component.memory_max }}";
      {%- endif %}
      ReadWritePaths = [ stateDir ];
    };
  };

  networking.firewall.allowedTCPPorts = lib.mkIf {{ component.open_firewall | string | lower }} [ port ];
}
