# Builds dist\t2ia-desktop-<version>-setup.exe and smoke-tests the frozen app.
# Usage: powershell -File packaging\windows\build.ps1 [-AllowDirty] [-NoSmokeTest]
# $env:PYTHON (default .venv\Scripts\python.exe) is the environment bundled: install torch from
# https://download.pytorch.org/whl/cu128 into it first (see README). $env:T2IA_MIN_FREE_GB: 20.
param([switch]$AllowDirty, [switch]$NoSmokeTest)
$ErrorActionPreference = "Stop"
$Root = Resolve-Path (Join-Path $PSScriptRoot "..\..")
Set-Location $Root
function Fail($message) { Write-Error "build.ps1: error: $message" -ErrorAction Continue; exit 1 }

$Python = if ($env:PYTHON) { $env:PYTHON } elseif (Test-Path ".venv\Scripts\python.exe") { ".venv\Scripts\python.exe" } else { "python" }

# -- checks, before anything is written
& $Python -m PyInstaller --version *> $null
if ($LASTEXITCODE -ne 0) { Fail "PyInstaller is not installed in $Python; install it with: $Python -m pip install -e '.[package]'" }
$Iscc = (Get-Command iscc -ErrorAction SilentlyContinue).Source
if (-not $Iscc) { $Iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
if (-not (Test-Path $Iscc)) { Fail "Inno Setup 6 (iscc) is missing; install it with: winget install JRSoftware.InnoSetup (or choco install innosetup)" }
$MinFreeGB = if ($env:T2IA_MIN_FREE_GB) { [int]$env:T2IA_MIN_FREE_GB } else { 20 }
$FreeGB = [math]::Floor((Get-PSDrive ((Get-Item $Root).PSDrive.Name)).Free / 1GB)
if ($FreeGB -lt $MinFreeGB) { Fail "only $FreeGB GB free on the drive holding $Root; the build needs $MinFreeGB GB (the CUDA torch bundle is several GB). Free some space and run it again." }
if (Get-Command git -ErrorAction SilentlyContinue) {
    $dirty = git status --porcelain
    if ($dirty -and -not $AllowDirty) { $dirty | Write-Host; Fail "the git tree has uncommitted changes (above): commit them so the installer matches a commit, or pass -AllowDirty" }
}
$Version = & $Python -c "from importlib.metadata import version; print(version('t2ia-desktop'))"
if ($LASTEXITCODE -ne 0) { Fail "t2ia-desktop is not installed in $Python; run: $Python -m pip install -e '.[package]'" }
Write-Host "== building t2ia-desktop $Version"

# -- the frozen app (one folder: dist\bundle\t2ia-desktop) and its smoke test
if (Test-Path dist\bundle) { Remove-Item -Recurse -Force dist\bundle }
& $Python -m PyInstaller --noconfirm --log-level WARN --workpath build\pyinstaller --distpath dist\bundle packaging\t2ia-desktop.spec
if ($LASTEXITCODE -ne 0) { Fail "PyInstaller failed (see above)" }
if (-not $NoSmokeTest) {
    & $Python packaging\smoke_test.py dist\bundle\t2ia-desktop\t2ia-desktop-cli.exe --expect-version $Version --json "dist\smoke-windows.json"
    if ($LASTEXITCODE -ne 0) { Fail "the frozen smoke test failed (see above)" }
}

# -- the installer
& $Iscc "/DAppVersion=$Version" "/DBundleDir=$Root\dist\bundle\t2ia-desktop" packaging\windows\t2ia-desktop.iss
if ($LASTEXITCODE -ne 0) { Fail "iscc failed (see above)" }
$Setup = Get-Item "dist\t2ia-desktop-$Version-setup.exe"
$Folder = (Get-ChildItem -Recurse -File dist\bundle\t2ia-desktop | Measure-Object -Sum Length).Sum
Write-Host ("== sizes: folder {0:N0} MB, setup.exe {1:N0} MB" -f ($Folder / 1MB), ($Setup.Length / 1MB))
Write-Host "== done: $($Setup.FullName)"
