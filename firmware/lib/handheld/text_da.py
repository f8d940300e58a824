# The handheld's Danish strings (the default language), one "key=text" per line; text.py looks them up and
# holds the rules: a key is at most 10 characters, a row string at most 16, "wrapped" strings are sentences.
# One string instead of a dict of strings: on the device every separate string object costs its own heap blocks.

STRINGS = """
title=TOBS
example=EKSEMPEL
disclaimer=Beslutnings\xadstøtte – ikke diagnose
staff_ask=Medarbejdernr.:
hint_start=#=OK  D=status
need_staff=Skriv dit medarbejder\xadnummer.
no_staff=Ukendt medarbejder\xadnummer.
staff_head=Medarb. %d
pin_prompt=PIN-kode:
hint_pin=#=OK  *=ret
enter_pin=Skriv din PIN-kode.
wrong_pin=Forkert PIN. Prøv igen.
pin_locked=Låst: for mange forkerte PIN. Vent %s.
full=Højst %d cifre.
draft_head=Ufærdig måling
resume_q=Fortsæt måling for pt %d?
hint_resum=#=ja  C=kassér
hint_home=#=ny måling *=ud
hint_pick=#=ny 1-%d=pt *=ud
missing=Handling mangler
due_in=om %s
due_over=%s over
due_now=nu
logout_q=Log ud?
none_due=Ingen målinger forfalder nu.
more=+%d flere
new_meas=Ny måling
pt_ask=Patientnummer:
pt_head=Pt %d
need_pt=Skriv patientens nummer.
pt_zero=Patientnummer kan ikke være 0.
need_value=Skriv en værdi.
hint_entry=#=OK *=ret C=afb
hint_temp=A=skift målested
temp_label=Temp. %s
rectal_now=Mål rektalt (kor. %s).
hint_menu=1-%d=vælg *=tilb
hint_opt=1-%d el. #=ingen
choose=Vælg 1-%d.
confirm3=Bekræft: 3 point
confirm3_q=Er det rigtigt?
hint_conf3=#=ja  *=ret
conf3_key=Tryk # eller *.
cancel_ask=Afbryd måling?
cancel_tip=Intet gemmes.
hint_yesno=#=ja  *=nej
total=TOBS i alt
s_pulse=Puls
s_resp=Resp.
s_temp=Temp.
s_sys_bp=Syst. BT
s_awareness=Bevidsth.
aw_habitual=Habituel
aw_agitated=Urolig/konfus
aw_voice=Kun på tiltale
aw_pain=Kun på smerte
aw_unresponsive=Ingen reaktion
call=Kontakt %s
phone=Tlf. %s
remeasure=Mål igen om %s.
hint_rev=#=gem  8=værdier
hint_rev2=#=gem 2=op 8=ned
hint_more=8=læs resten
read_all=Læs hele vejledningen først: tryk 8.
act_title=Handling udført:
act_opt=Evt. handling:
act_need=Vælg handling
why_title=Begrundelse:
why_need=Vælg begrundelse
fu_title=Pt %d: handling
saved=Gemt
no_remind=Ingen påmindelse
hint_saved=#=næste *=hjem
store_full=Hukommelse fuld – synkronisér
save_fail=Kunne ikke gemme. Prøv igen.
no_memory=Hukommelsen slap op. Tjek skærmen og prøv igen.
any_key=Tryk en tast
no_config=Opsætningen mangler eller er i stykker. Ingen kan logge ind. Målinger er gemt. Kontakt IT.
status=Status
ex_config=EKSEMPEL-OPSÆTN.
config_err=Fejl i site.json
unsynced=Usynk.: %d
syncing=Synkroniserer
sync_prog=%d af %d
sync_keep=Tag ikke kablet ud.
free=Fri: %d kB
clock_set=Ur stillet
clock_bad=Ur ikke stillet!
device=Enheds-id:
core=Kerne %s
config=Opsæt. %s
hint_stat=2/8 rul  #=ud
minutes=%d min
hours=%d t
rel_min=%dm
rel_hours=%dt
rel_days=%dd
"""
