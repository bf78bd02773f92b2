#!/usr/bin/env bash
# The system packages the tests need, installed when missing (never a browser download):
# Debian's Chromium for the browser end-to-end tests, Mesa's software Vulkan driver (lavapipe)
# so the WebGPU tests run for real without a GPU, PyTorch (python3-torch) so the PyTorch
# interop test loads our exported models in PyTorch itself, and Pillow (python3-pil), which the
# texture article's independent NumPy runner (../shared) imports. Dawn rejects Debian 12's own
# Mesa 22.3, so lavapipe comes from the release's backports, on the mirror this machine's apt
# sources already use. As root it installs; otherwise it prints the commands and exits 1.
set -euo pipefail

missing=()
[ -x "${NCA_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)

mesa_version="$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | sed 's/^[0-9]*://' || true)"
# grep reads all of ldconfig's output (no -q): with pipefail, an early exit would SIGPIPE it.
if [ -z "$mesa_version" ] || [ "${mesa_version%%.*}" -lt 24 ] || [ -z "$(ldconfig -p | grep 'libvulkan\.so\.1')" ]; then
  missing+=(lavapipe)
fi

/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || missing+=(python3-torch)
/usr/bin/python3 -c 'import PIL' >/dev/null 2>&1 || missing+=(python3-pil)

if [ "${#missing[@]}" -eq 0 ]; then
  echo "test setup: chromium, lavapipe, python3-torch and python3-pil are installed"
  exit 0
fi

. /etc/os-release
backports="${VERSION_CODENAME}-backports"

# The URI of a configured source that serves this release's main suite: deb822 files first,
# then one-line `deb [options] URI suite components` entries.
debian_mirror() {
  local file
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    awk -v suite="$VERSION_CODENAME" '
      /^[[:space:]]*$/ { if (uri != "" && found) { print uri; exit } uri = ""; found = 0; next }
      /^URIs:/ { uri = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) found = 1 }
      END { if (uri != "" && found) print uri }
    ' "$file"
  done
  { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
    awk -v suite="$VERSION_CODENAME" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { if ($(i + 1) == suite) print $i; break } }'
}

has_backports() {
  grep -rqs -- "$backports" /etc/apt/sources.list /etc/apt/sources.list.d
}

if [ "$(id -u)" -ne 0 ]; then
  echo "test setup: missing ${missing[*]}; as root, run:" >&2
  case " ${missing[*]} " in *" chromium "*) echo "  apt-get update && apt-get install -y chromium" >&2 ;; esac
  case " ${missing[*]} " in *" python3-torch "*) echo "  apt-get update && apt-get install -y python3-torch" >&2 ;; esac
  case " ${missing[*]} " in *" python3-pil "*) echo "  apt-get update && apt-get install -y python3-pil" >&2 ;; esac
  case " ${missing[*]} " in *" lavapipe "*)
    has_backports || echo "  add the ${backports} suite to your Debian apt source, then apt-get update" >&2
    echo "  apt-get install -y -t ${backports} mesa-vulkan-drivers libvulkan1" >&2 ;;
  esac
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
case " ${missing[*]} " in *" lavapipe "*)
  if ! has_backports; then
    mirror="$(debian_mirror | sed -n 1p)"
    if [ -z "$mirror" ]; then
      echo "test setup: no apt source serves ${VERSION_CODENAME}; add ${backports} by hand" >&2
      exit 1
    fi
    printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$mirror" "$backports" >/etc/apt/sources.list.d/nca-backports.sources
  fi ;;
esac

echo "test setup: installing ${missing[*]}"
apt-get update -qq
case " ${missing[*]} " in *" chromium "*) apt-get install -y -qq chromium >/dev/null ;; esac
case " ${missing[*]} " in *" python3-torch "*) apt-get install -y -qq python3-torch >/dev/null ;; esac
case " ${missing[*]} " in *" python3-pil "*) apt-get install -y -qq python3-pil >/dev/null ;; esac
case " ${missing[*]} " in *" lavapipe "*) apt-get install -y -qq -t "$backports" mesa-vulkan-drivers libvulkan1 >/dev/null ;; esac
echo "test setup: done"
