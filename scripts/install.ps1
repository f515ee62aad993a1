<#
.SYNOPSIS
Installs dockup for this Windows user from a GitHub release, verified against the release's
SHA256SUMS, then optionally runs it.

.DESCRIPTION
Downloads dockup-x86_64-pc-windows-gnu.exe and SHA256SUMS, checks the sha256, installs
$env:LOCALAPPDATA\Programs\dockup\dockup.exe and adds that folder to the user's PATH. No
administrator rights are needed for this part; dockup asks for them when it installs Docker.

Anything after `--` is passed to the installed dockup, which is then run:

    .\install.ps1 -- install --dry-run

.PARAMETER Version
Install release V (e.g. 0.3.1) instead of the latest.

.PARAMETER BaseUrl
Download from URL/<artifact> instead of GitHub (a mirror). Also $env:DOCKUP_RELEASE_URL.

.PARAMETER DryRun
Print what would be downloaded, verified and installed; change nothing.

.EXAMPLE
powershell -ExecutionPolicy Bypass -File .\install.ps1
#>
# PowerShell 5.1 (Windows 10's) must run this: no PowerShell 7-only syntax (??, ?:, &&).
[CmdletBinding(PositionalBinding = $false)]
param(
    [string]$Version = '',
    [string]$BaseUrl = '',
    [switch]$DryRun,
    [switch]$Help,
    [Parameter(ValueFromRemainingArguments = $true)]
    [string[]]$DockupArgs = @()
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
# Windows PowerShell 5.1 redraws its progress bar per chunk, which makes downloads many times slower.
$ProgressPreference = 'SilentlyContinue'

$DefaultBase = 'https://github.com/dockup/dockup/releases/latest/download'
$VersionBase = 'https://github.com/dockup/dockup/releases/download'
$Artifact = 'dockup-x86_64-pc-windows-gnu.exe'

function Say([string]$Message) {
    Write-Host "install.ps1: $Message"
}

function Warn([string]$Message) {
    Write-Host "install.ps1: warning: $Message" -ForegroundColor Yellow
}

function Fail([string]$Message) {
    [Console]::Error.WriteLine("install.ps1: error: $Message")
    exit 1
}

if ($Help) {
    Get-Help -Full $PSCommandPath
    exit 0
}

if ($null -eq $DockupArgs) { $DockupArgs = @() }
# dockup's command line starts with its command (install, detect, ...) or asks for its help or
# version, so any other leading dash is a mistyped option of this script, which PowerShell would
# otherwise hand to dockup.
if ($DockupArgs.Count -gt 0 -and $DockupArgs[0].StartsWith('-') -and
    $DockupArgs[0] -cnotin @('--help', '-h', '--version', '-V')) {
    Fail "unknown option '$($DockupArgs[0])' (see -Help; arguments for dockup go after '--', starting with its command)"
}

# --- this machine ----------------------------------------------------------------------

if ($PSVersionTable.PSVersion.Major -ge 6 -and -not $IsWindows) {
    Fail 'this is not Windows: use scripts/install.sh from https://github.com/dockup/dockup instead'
}

# A 32-bit PowerShell on 64-bit Windows reports x86 here and the real one in PROCESSOR_ARCHITEW6432.
$arch = $env:PROCESSOR_ARCHITECTURE
if ($env:PROCESSOR_ARCHITEW6432) { $arch = $env:PROCESSOR_ARCHITEW6432 }
switch ($arch) {
    'AMD64' { }
    'ARM64' { Warn 'dockup is built for x86_64; on ARM64 it runs under Windows 11''s x64 emulation' }
    default { Fail "unsupported architecture '$arch': dockup's Windows release is built for x86_64 only" }
}

# --- where to download from ------------------------------------------------------------

$Version = $Version -replace '^v', ''
if ($Version -and $Version -notmatch '^[0-9A-Za-z.+-]+$') {
    Fail "-Version '$Version' is not a version number (e.g. 0.3.1)"
}

$base = ''
$baseFrom = ''
if ($BaseUrl) {
    $base = $BaseUrl
    $baseFrom = '-BaseUrl'
} elseif ($env:DOCKUP_RELEASE_URL) {
    $base = $env:DOCKUP_RELEASE_URL
    $baseFrom = 'DOCKUP_RELEASE_URL'
}
if ($base) {
    # A base URL already names one release's directory; installing something other than the
    # version asked for is worse than stopping.
    if ($Version) {
        Fail "-Version $Version cannot be combined with $baseFrom ($base): the base URL already names the release; drop one of them"
    }
    $base = $base.TrimEnd('/')
} elseif ($Version) {
    $base = "$VersionBase/v$Version"
} else {
    $base = $DefaultBase
}

if ($base.StartsWith('http://')) {
    Warn "$base is plain http: the download and its checksum are not protected in transit"
} elseif (-not $base.StartsWith('https://')) {
    Fail "base URL '$base' must start with https:// (or http:// for a local mirror)"
}

$artifactUrl = "$base/$Artifact"
$sumsUrl = "$base/SHA256SUMS"

# --- where to install ------------------------------------------------------------------

if (-not $env:LOCALAPPDATA) {
    Fail 'LOCALAPPDATA is not set, so there is no per-user Programs folder to install into'
}
$dir = Join-Path $env:LOCALAPPDATA 'Programs\dockup'
$dest = Join-Path $dir 'dockup.exe'

# The raw value: GetEnvironmentVariable('Path', 'User') would expand %USERPROFILE% and the
# like, and writing that back would freeze them.
$envKey = 'HKCU:\Environment'
$userPathRaw = ''
$userPathKind = [Microsoft.Win32.RegistryValueKind]::ExpandString
$key = Get-Item -LiteralPath $envKey -ErrorAction SilentlyContinue
if ($key -and $null -ne $key.GetValue('Path', $null)) {
    $userPathRaw = [string]$key.GetValue('Path', '', [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
    $userPathKind = $key.GetValueKind('Path')
}
$onUserPath = $false
foreach ($entry in $userPathRaw.Split(';')) {
    $expanded = [Environment]::ExpandEnvironmentVariables($entry).TrimEnd('\')
    if ($expanded -and $expanded -ieq $dir) { $onUserPath = $true }
}

if ($DryRun) {
    Write-Output 'dry run: nothing will be downloaded or changed'
    Write-Output "would download: $artifactUrl"
    Write-Output "would download: $sumsUrl"
    Write-Output "would verify:   the sha256 of $Artifact against its line in SHA256SUMS (Get-FileHash)"
    Write-Output "would install:  $dest"
    if (-not $onUserPath) { Write-Output "would add to the user's PATH: $dir" }
    if ($DockupArgs.Count -gt 0) { Write-Output "would run:      $dest $($DockupArgs -join ' ')" }
    exit 0
}

# PowerShell 5.1 on .NET Framework may still offer only TLS 1.0/1.1, which GitHub refuses.
[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12

# --- download, verify, install ---------------------------------------------------------

$work = Join-Path ([IO.Path]::GetTempPath()) ('dockup-install-' + [guid]::NewGuid().ToString('N'))
$staged = ''
try {
    New-Item -ItemType Directory -Path $work | Out-Null
    $download = Join-Path $work $Artifact
    $sums = Join-Path $work 'SHA256SUMS'

    Say "downloading $artifactUrl"
    try {
        Invoke-WebRequest -Uri $artifactUrl -OutFile $download -UseBasicParsing
    } catch {
        Fail "could not download ${artifactUrl}: $($_.Exception.Message)"
    }
    try {
        Invoke-WebRequest -Uri $sumsUrl -OutFile $sums -UseBasicParsing
    } catch {
        Fail "could not download ${sumsUrl}, so $Artifact cannot be verified; nothing was installed: $($_.Exception.Message)"
    }

    # sha256sum writes `<hash>  <name>`, or `<hash> *<name>` in binary mode.
    $expected = ''
    foreach ($line in Get-Content -LiteralPath $sums) {
        $parts = $line.Trim() -split '\s+', 2
        if ($parts.Count -eq 2 -and ($parts[1] -ceq $Artifact -or $parts[1] -ceq "*$Artifact")) {
            $expected = $parts[0].ToLowerInvariant()
            break
        }
    }
    if (-not $expected) {
        Fail "checksum missing: $sumsUrl has no line for $Artifact, so it cannot be verified; nothing was installed"
    }
    if ($expected -notmatch '^[0-9a-f]{64}$') {
        Fail "checksum unreadable: the line for $Artifact in $sumsUrl does not hold a sha256 ('$expected'); nothing was installed"
    }
    $actual = (Get-FileHash -Algorithm SHA256 -LiteralPath $download).Hash.ToLowerInvariant()
    if ($actual -ne $expected) {
        Fail ("checksum mismatch for $Artifact; nothing was installed`n" +
            "  expected: $expected (from $sumsUrl)`n" +
            "  actual:   $actual (of $artifactUrl)`n" +
            '  help: the download is corrupt or was tampered with; run this again, and report it if it persists')
    }
    Say "verified sha256 $actual"

    New-Item -ItemType Directory -Force -Path $dir | Out-Null
    # A temporary file in the same folder, then one rename: an interrupted install never leaves
    # a half-written dockup.exe.
    $staged = Join-Path $dir ('.dockup-' + [guid]::NewGuid().ToString('N') + '.tmp')
    Copy-Item -LiteralPath $download -Destination $staged
    try {
        if (Test-Path -LiteralPath $dest) {
            [IO.File]::Replace($staged, $dest, $null)
        } else {
            [IO.File]::Move($staged, $dest)
        }
    } catch {
        Fail "could not replace ${dest} (is dockup running? close it and run this again): $($_.Exception.Message)"
    }
    $staged = ''
    Say "installed $dest"
} finally {
    if ($staged) { Remove-Item -LiteralPath $staged -Force -ErrorAction SilentlyContinue }
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}

if (-not $onUserPath) {
    $newPath = $dir
    if ($userPathRaw.TrimEnd(';')) { $newPath = $userPathRaw.TrimEnd(';') + ';' + $dir }
    # Written to the registry directly to keep the value's type: [Environment]::SetEnvironmentVariable
    # stores REG_SZ, and %VAR% entries in a REG_SZ Path are never expanded again
    # (dotnet/runtime#89695).
    Set-ItemProperty -LiteralPath $envKey -Name Path -Value $newPath -Type $userPathKind
    # Tells Explorer, and so new terminals, that the environment changed; SetEnvironmentVariable
    # broadcasts the same message after writing a variable, here one of its own, removed again.
    [Environment]::SetEnvironmentVariable('DOCKUP_INSTALL_PATH_CHANGED', '1', 'User')
    [Environment]::SetEnvironmentVariable('DOCKUP_INSTALL_PATH_CHANGED', $null, 'User')
    Say "added $dir to your PATH (new terminals will see it)"
}
if (-not (($env:Path -split ';') -contains $dir)) {
    $env:Path = "$dir;$env:Path"
}

if ($DockupArgs.Count -gt 0) {
    & $dest @DockupArgs
    exit $LASTEXITCODE
}

Say 'next: dockup install --dry-run   (shows the plan for this machine, changes nothing)'
Say 'then: dockup install             (in a terminal run as administrator)'
