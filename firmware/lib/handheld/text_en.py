# The handheld's English strings, for sites that set "language": "en": the same keys as text_da.py, in the
# same "key=text" lines (see text.py for the rules every string follows).

STRINGS = """
title=TOBS
example=EXAMPLE
disclaimer=Decision support – not diagnosis
staff_ask=Staff number:
hint_start=#=OK  D=status
need_staff=Enter your staff number.
no_staff=Unknown staff number.
staff_head=Staff %d
pin_prompt=PIN:
hint_pin=#=OK  *=del
enter_pin=Enter your PIN.
wrong_pin=Wrong PIN. Try again.
pin_locked=Locked: too many wrong PINs. Wait %s.
full=Only %d digits.
draft_head=Unfinished entry
resume_q=Continue the measurement for pt %d?
hint_resum=#=yes  C=discard
hint_home=#=new  *=log out
hint_pick=#=new 1-%d *=out
missing=Action missing
due_in=in %s
due_over=%s late
due_now=now
logout_q=Log out?
none_due=No measurements due now.
more=+%d more
new_meas=New measurement
pt_ask=Patient number:
pt_head=Pt %d
need_pt=Enter the patient's number.
pt_zero=Patient number cannot be 0.
need_value=Enter a value.
hint_entry=#=OK *=del C=esc
hint_temp=A=change site
temp_label=Temp. %s
rectal_now=Measure rectally (corr. %s).
hint_menu=1-%d=pick *=back
hint_opt=1-%d or #=none
choose=Choose 1-%d.
confirm3=Confirm: 3 pts
confirm3_q=Is it correct?
hint_conf3=#=yes *=re-enter
conf3_key=Press # or *.
cancel_ask=Cancel entry?
cancel_tip=Nothing saved.
hint_yesno=#=yes  *=no
total=TOBS total
s_pulse=Pulse
s_resp=Resp.
s_temp=Temp.
s_sys_bp=Syst. BP
s_awareness=Awareness
aw_habitual=Usual
aw_agitated=Agitated/conf.
aw_voice=Voice only
aw_pain=Pain only
aw_unresponsive=No response
call=Contact %s
phone=Phone %s
remeasure=Measure again in %s.
hint_rev=#=save  8=values
hint_rev2=#=save 2=up 8=dn
hint_more=8=read the rest
read_all=Read all the guidance first: press 8.
act_title=Action taken:
act_opt=Action, optional
act_need=Choose an action
why_title=Reason:
why_need=Choose a reason
fu_title=Pt %d: action
saved=Saved
no_remind=No reminder
hint_saved=#=next *=home
store_full=Memory full – synchronise
save_fail=Could not save. Try again.
no_memory=Ran out of memory. Check the screen and try again.
any_key=Press any key
no_config=The site setup is missing or broken. Nobody can log in. Records are kept. Contact IT.
status=Status
ex_config=EXAMPLE CONFIG
config_err=site.json broken
unsynced=Unsynced: %d
syncing=Synchronising
sync_prog=%d of %d
sync_keep=Keep the cable in.
free=Free: %d kB
clock_set=Clock set
clock_bad=Clock not set!
device=Device id:
core=Core %s
config=Config %s
hint_stat=2/8 scroll #=out
minutes=%d min
hours=%d h
rel_min=%dm
rel_hours=%dh
rel_days=%dd
"""
