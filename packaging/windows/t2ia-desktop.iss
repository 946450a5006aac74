; Inno Setup script: t2ia-desktop-<version>-setup.exe, a per-user install needing no admin rights.
; Built by packaging\windows\build.ps1, which passes the version and the PyInstaller folder:
;   iscc /DAppVersion=0.1.0 /DBundleDir=..\..\dist\bundle\t2ia-desktop packaging\windows\t2ia-desktop.iss
#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z (build.ps1 reads it from the package metadata)
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\bundle\t2ia-desktop"
#endif
#define AppName "t2ia desktop"
#define AppExe "t2ia-desktop.exe"
#define ProgId "t2iaDesktop.Project"

[Setup]
AppId={{6F0B3C52-8E4A-4D1B-9A57-2C1E7D3B9A40}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=t2ia desktop developers
; Per user: no UAC prompt, installed under %LOCALAPPDATA%\Programs.
PrivilegesRequired=lowest
DefaultDirName={localappdata}\Programs\t2ia-desktop
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=t2ia-desktop-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\t2ia-desktop.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
ChangesAssociations=yes
WizardStyle=modern
; The CUDA torch bundle is large: one setup.exe holds up to 4.2 GB compressed (DiskSpanning=no).
Compression=lzma2/normal
SolidCompression=no

[Tasks]
Name: desktopicon; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{userprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{userdesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; .t2ia projects open in the app (per user, HKCU\Software\Classes).
Root: HKCU; Subkey: "Software\Classes\.t2ia"; ValueType: string; ValueName: ""; ValueData: "{#ProgId}"; Flags: uninsdeletevalue
Root: HKCU; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: ""; ValueData: "{#AppName} project"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\{#ProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExe},0"
Root: HKCU; Subkey: "Software\Classes\{#ProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
// The artist's history, plugins, demo model and detector weights live in the app's data folder
// (platformdirs: %LOCALAPPDATA%\t2ia-desktop\t2ia-desktop). Uninstalling keeps them unless the
// artist says otherwise; a silent uninstall always keeps them. Models in the shared Hugging Face
// cache (%USERPROFILE%\.cache\huggingface) belong to every app using it and are never deleted.
function UserDataDir(): String;
begin
  Result := ExpandConstant('{localappdata}\t2ia-desktop');
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and DirExists(UserDataDir()) and not UninstallSilent() then
    if MsgBox('Also delete your t2ia desktop history, plugins and downloaded detector weights?' + #13#10 +
              UserDataDir() + #13#10#13#10 +
              'Choose No to keep them for a later install (models in the Hugging Face cache are always kept).',
              mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
      DelTree(UserDataDir(), True, True, True);
end;
